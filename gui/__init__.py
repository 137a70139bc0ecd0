"""The desktop app: the only Qt layer of Faceshelf."""
