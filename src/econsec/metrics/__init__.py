"""Pure metric kernels: dependence, concentration, exposure, chokepoints, complementarity."""
