"""Live activations while designing: one real sample through the network as it is edited."""
