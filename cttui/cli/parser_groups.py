"""The commands of the groups with actions of their own (`favorites`, `credentials`, `jobs`),
for cttui.cli.parser; standard library only, like it (tests/test_layers.py checks)."""

from __future__ import annotations

from collections.abc import Callable

from cttui.cli.options import (
    ENV_POLL_INTERVAL,
    Commands,
    Parser,
    command,
    flag,
    job_id,
    positive_float,
)


def add_favorites_actions(actions: Commands) -> None:
    rename = command(
        actions,
        "rename",
        ("favorites_edit", "favorites_rename", "FavoritesRenameArgs"),
        "rename a favourite; its counts over time follow it",
        "Rename favourite OLD (case does not matter) to NEW, in favorites.toml and in the job "
        "journal's history. Exit 2 if NEW is taken or the file has problems.",
    )
    for word in ("old", "new"):
        rename.add_argument(word, metavar=word.upper())
    command(
        actions,
        "duplicate",
        ("favorites_edit", "favorites_duplicate", "NameArgs"),
        "save a copy of a favourite beside it, as 'NAME (copy)'",
        operand="NAME",
    )
    command(
        actions,
        "delete",
        ("favorites_edit", "favorites_delete", "FavoritesDeleteArgs"),
        "delete a favourite and its counts over time",
        "Delete favourite NAME from favorites.toml, with its history in the job journal; its "
        "jobs stay, unnamed. Asks first unless --yes.",
        operand="NAME",
        asks=True,
    )


def add_credentials_commands(commands: Commands, wanted: Callable[[str], bool]) -> None:
    credentials = command(
        commands,
        "credentials",
        None,
        "save, list, show, delete or switch profiles",
        "Profiles: a name, an account ID and a region in config.toml, with the passcode in the "
        "OS keyring (service 'cttui', username ACCOUNT_ID/PROFILE).",
    )
    if not wanted("credentials"):
        return
    actions = credentials.add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    save = command(
        actions,
        "set",
        ("credentials", "credentials_set", "CredentialsSetArgs"),
        "add or change a profile; asks for the passcode without echoing it",
        "Add or change a profile. The passcode is asked for without echo, or read from "
        "standard input with --passcode-stdin; it is never taken as an argument.",
        scoped=True,
    )
    save.add_argument(
        "--account-id",
        metavar="ID",
        help="the account ID (XXX-XXX-XXXX), or a dashboard URL to take it and the region from",
    )
    save.add_argument("--region", metavar="R", help="eu1 (default), in1, sg1, us1, aps3, mec1, sk1")
    flag(
        save,
        "--passcode-stdin",
        "read the passcode from standard input (one line) instead of asking",
    )
    command(
        actions,
        "list",
        ("credentials", "credentials_list", "ScopeArgs"),
        "list the saved profiles; * marks the active one",
    )
    command(
        actions,
        "show",
        ("credentials", "credentials_show", "ScopeArgs"),
        "show a profile (the passcode stays masked)",
        scoped=True,
    )
    command(
        actions,
        "delete",
        ("credentials", "credentials_delete", "CredentialsDeleteArgs"),
        "delete a profile and its passcode in the keyring",
        scoped=True,
        asks=True,
    )
    command(
        actions,
        "use",
        ("credentials", "credentials_use", "NameArgs"),
        "make a profile the active one",
        operand="NAME",
    )
    command(
        actions,
        "test",
        ("connection", "credentials_test", "ScopeArgs"),
        "check that CleverTap accepts a profile's saved credentials",
        "Send one small request with the profile's account ID and saved passcode (never shown) "
        "and say which host answered; CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE and "
        "CLEVERTAP_REGION, when set, override them as for every command. Exit 0 when the "
        "credentials work, 1 on an auth or network failure, 2 when there is no such profile or "
        "no saved passcode.",
        scoped=True,
    )


def add_jobs_actions(actions: Commands) -> None:
    command(
        actions,
        "show",
        ("jobs", "jobs_show", "JobsShowArgs"),
        "everything about one job, with its every request",
        operand="ID",
        json="job",
    )
    resume = command(
        actions,
        "resume",
        ("jobs_work", "jobs_resume", "JobsResumeArgs"),
        "poll every pending job to the end and print the results",
        "Poll every pending job in the journal (that no other cttui is running) until it ends, "
        "each on its own account, and print one line per job. Exit 0 when all are done, 1 if "
        "any failed or an interrupted job waits in the journal (resubmit or remove it), 3 if "
        "--timeout left some pending.",
    )
    resubmit = command(
        actions,
        "resubmit",
        ("jobs_work", "jobs_resume", "JobsResumeArgs"),
        "send a failed, cancelled or interrupted job again and wait for it",
        operand="ID",
    )
    remove = command(
        actions,
        "remove",
        ("jobs_work", "jobs_remove", "JobsRemoveArgs"),
        "remove jobs from the journal, such as interrupted ones not to send again",
        "Forget jobs, pending ones included (their req_ids with them). A job that another open "
        "cttui runs or shows is removed there.",
    )
    remove.add_argument("job_ids", type=job_id, nargs="+", metavar="ID")
    for waiting in (resume, resubmit):
        waiting.add_argument("--timeout", type=positive_float, metavar="S", help="stop after S s")
        waiting.add_argument(
            "--poll-interval",
            type=positive_float,
            metavar="S",
            help=f"seconds between polls (default 30, or ${ENV_POLL_INTERVAL})",
        )
