"""The privacy–utility sweep: PLAN's walk re-run from a finished run over a grid of
λ_priv × optim_steps, every cell a run folder whose upstream stages are the finished run's
(hard links, so the stage cache marks them current), collected into sweep.csv, a figure
and sweep.md. Entry point: `privgan sweep RUN_DIR` (run_sweep.py)."""
