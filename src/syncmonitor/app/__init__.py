"""The process foundation, no Qt: configuration, the settings store, credentials in the OS
keyring, paths, logging and the user-facing error type. Every other layer may import it."""
