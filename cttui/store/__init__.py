"""What lasts between runs: credentials, favourites, the job journal."""
