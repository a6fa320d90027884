"""Fine-tuning: LoRA, full and continued pretraining of the base model, for the ft and hybrid variants."""

from ragtune.training.artifact import TRAINED_VARIANTS, ModelStatus, model_status, require_model
from ragtune.training.export import export_model
from ragtune.training.trainer import TrainReport, train_variant

__all__ = ["TRAINED_VARIANTS", "ModelStatus", "TrainReport", "export_model", "model_status", "require_model",
           "train_variant"]
