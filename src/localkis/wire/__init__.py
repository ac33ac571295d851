"""KIS wire format: parse requests into domain commands, format results and errors."""
