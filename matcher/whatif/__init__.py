"""What-if analysis: scenarios, comparisons, sweeps and marginal values (see docs/whatif.md)."""
