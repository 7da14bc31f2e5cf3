"""The one core both faces call: config, credentials, clients, journal, jobs and favourites,
and every verb on them. No Textual here, and nothing printed."""
