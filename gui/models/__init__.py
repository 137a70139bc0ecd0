"""Qt item models over catalog queries."""
