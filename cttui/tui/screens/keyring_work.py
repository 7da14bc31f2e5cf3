"""The credentials screen's blocking work, run on threads: saving, deleting and reading
profiles and their passcodes. Each reports with a message to the node that started it, whose
handlers own what the screen shows."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.message_pump import MessagePump

from cttui.api.errors import CttuiError
from cttui.store.config import Config, Profile
from cttui.store.credentials import CredentialStore, Deleted, KeyringUnavailable, PasscodeMissing


# Dataclasses, as Textual's own messages are: Message.__post_init__ does its set-up.
@dataclass
class PasscodeChecked(Message):
    name: str
    saved: bool | None
    error: str | None


@dataclass
class DeletePlanned(Message):
    """What deleting profile `name` would do to the keyring, for the question before it."""

    name: str
    account_id: str
    plan: Deleted


@dataclass
class ProfileSaved(Message):
    config: Config
    name: str


@dataclass
class ProfileDeleted(Message):
    config: Config
    name: str
    note: str


@dataclass
class StoreFailed(Message):
    """Saving or deleting was refused; `keyring` says whether the keyring was the cause."""

    text: str
    field: str
    keyring: bool


@dataclass
class ConnectionTested(Message):
    ok: bool
    text: str


def save_profile(
    node: MessagePump,
    store: CredentialStore,
    profile: Profile,
    passcode: str | None,
    replacing: str | None,
) -> None:
    """Save `profile` (in place of the one named `replacing`), with `passcode` if typed."""
    try:
        config = store.save_profile(profile, passcode, replacing)
    except KeyringUnavailable as error:
        node.post_message(StoreFailed(error.reason, "passcode", keyring=True))
    except PasscodeMissing as error:
        node.post_message(StoreFailed(error.message, "passcode", keyring=False))
    except CttuiError as error:
        node.post_message(StoreFailed(error.message, "name", keyring=False))
    else:
        node.post_message(ProfileSaved(config, profile.name))


def plan_delete(node: MessagePump, store: CredentialStore, name: str, account_id: str) -> None:
    try:
        planned = store.delete_plan(name)
    except CttuiError as error:
        node.post_message(StoreFailed(error.message, "", keyring=False))
    else:
        node.post_message(DeletePlanned(name, account_id, planned))


def delete_profile(node: MessagePump, store: CredentialStore, name: str) -> None:
    try:
        config, outcome = store.delete_profile(name)
    except CttuiError as error:
        node.post_message(StoreFailed(error.message, "", keyring=False))
    else:
        node.post_message(ProfileDeleted(config, name, outcome.describe(done=True)))


def read_saved_passcode(node: MessagePump, store: CredentialStore, profile: Profile) -> None:
    """Whether the keyring holds a passcode for `profile`, or why it cannot say."""
    try:
        saved = store.saved_passcode(profile) is not None
    except KeyringUnavailable as error:
        node.post_message(PasscodeChecked(profile.name, None, error.reason))
    else:
        node.post_message(PasscodeChecked(profile.name, saved, None))
