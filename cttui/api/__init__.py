"""The CleverTap protocol: models, regions, the HTTP client and its errors. No other I/O."""
