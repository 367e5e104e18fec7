"""The desktop app: Qt only. The engine it drives knows nothing of Qt."""
