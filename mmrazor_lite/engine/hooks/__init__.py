"""The hooks of mmrazor_lite.

They are the checks every run gets, the kill-safe checkpoint hook and the
drop-path schedule of DARTS evaluation networks.
"""
from .checkpoint_hook import KillSafeCheckpointHook
from .class_count_check_hook import ClassCountCheckHook
from .drop_path_schedule_hook import DropPathScheduleHook
from .resume_config_check_hook import ResumeConfigCheckHook
from .subnet_meta_hook import SubnetMetaHook

__all__ = [
    'KillSafeCheckpointHook', 'ClassCountCheckHook', 'DropPathScheduleHook',
    'ResumeConfigCheckHook', 'SubnetMetaHook'
]
