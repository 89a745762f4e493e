"""The hooks of mmrazor_lite.

They are the checks every run gets, the kill-safe checkpoint hook, the
drop-path schedule of DARTS evaluation networks and the writing of early
messages into the run's log file.
"""
from .checkpoint_hook import KillSafeCheckpointHook
from .class_count_check_hook import ClassCountCheckHook
from .deferred_log_hook import DeferredLogHook
from .drop_path_schedule_hook import DropPathScheduleHook
from .resume_config_check_hook import ResumeConfigCheckHook
from .run_length_check_hook import RunLengthCheckHook
from .subnet_meta_hook import SubnetMetaHook
from .work_dir_claim_hook import WorkDirClaimHook

__all__ = [
    'KillSafeCheckpointHook', 'ClassCountCheckHook', 'DropPathScheduleHook',
    'ResumeConfigCheckHook', 'RunLengthCheckHook', 'SubnetMetaHook',
    'DeferredLogHook', 'WorkDirClaimHook'
]
