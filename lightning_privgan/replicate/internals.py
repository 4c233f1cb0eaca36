"""Every piece of the rest of the package that replicate/ uses, imported here and only here,
so that a move of those modules changes this one file."""
from __future__ import annotations

from ..audit.paired_difference import PLAN_BETTER_IF, paired_values  # noqa: F401
from ..audit.figures import save_figure  # noqa: F401
from ..audit.report_table import source_label  # noqa: F401
from ..config.errors import ConfigError  # noqa: F401
from ..config.load import load_experiment  # noqa: F401
from ..pipeline.cluster import check_slurm_layout  # noqa: F401
from ..core.distributed import is_global_zero, wait_for  # noqa: F401
from ..core.atomic import atomic_path, write_json_atomic, write_text_atomic  # noqa: F401
from ..pipeline.run_lock import RunLockedError  # noqa: F401
from ..pipeline.run_log import RunLog  # noqa: F401
from ..pipeline.runner import RECORD, Pipeline  # noqa: F401
from ..core.seeds import derive_seed  # noqa: F401
from ..pipeline.stage import Stage  # noqa: F401
from ..stages import STAGE_ORDER, load_stages  # noqa: F401
from ..sweep.cell_folder import link_upstream, sweep_folder  # noqa: F401
from ..sweep import run_sweep as sweep_runner  # noqa: F401  (prepare_sweep, run_sweep, cell_status, print_grid)

DATA_STAGE = "data"  # the one stage every replicate shares (stages/data.py keeps the base seed)
