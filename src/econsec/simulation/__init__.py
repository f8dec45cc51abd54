"""Dynamic simulation of export controls and coercion over the supply network."""
