"""setup_env.py's helpers: plan, run and check the project's install.

Standard library only, because setup_env.py imports them before anything is installed; the one
exception is fetch_model.py, which runs inside the project's venv (it needs huggingface_hub).
deload.py borrows `machine.human` for the same reason, and cleanup.py also `disk` (sizes and
removal that never follow links) and `model_files` (what on disk belongs to each model).
"""
