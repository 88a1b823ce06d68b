"""Payment-method catalogue, consult, logos and (later) the simulated acquirers."""
