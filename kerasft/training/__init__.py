from kerasft.training.optimizers import default_optimizer
from kerasft.training.schedules import WarmupLinearDecay

__all__ = ["WarmupLinearDecay", "default_optimizer"]
