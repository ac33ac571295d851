"""Price sources and the fill simulator behind the KIS API."""
