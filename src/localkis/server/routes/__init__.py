"""KIS API handlers by family: each is load → decide → write → render, after the gateway."""
