"""The one HTTP client every connector uses: retries, limits, TLS, redirects and redaction."""
