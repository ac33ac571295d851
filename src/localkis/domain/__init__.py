"""Pure trading rules: orders, markets, hours. No I/O, no clock reads."""
