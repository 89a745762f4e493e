"""Helpers the tests share: paths, running tools, tiny pipelines, fake data.

``pytest.ini`` puts ``tests/`` on ``sys.path`` (``pythonpath``), so a test
imports them as ``from helpers.tools import run_tool``. The recorder hooks
here are also imported by name (``custom_imports``) in the processes a test
starts, which get this folder on their ``PYTHONPATH``.
"""
