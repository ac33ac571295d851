"""KIS's vocabulary as data: exchanges, TR IDs, field specs, message codes."""
