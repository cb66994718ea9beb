"""CEGI, the Carbon Efficient Gain Index (Kumar et al., 2024, arXiv:2412.02602).

CEGI = E / (ΔP × N_trainable / 10⁶), in gCO2e per percentage point of gain per million
trainable parameters; lower is better. See ``docs/metrics.md`` for the edge cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from greenbench.metrics.efficiency._checks import non_negative, positive, real

NO_GAIN = "no gain"


@dataclass(frozen=True)
class CEGIResult:
    """The CEGI of one fine-tuned variant against its base model."""

    value: float | None
    """gCO2e per percentage point of gain per million trainable parameters (lower is better);
    None when there is no gain (see :attr:`note`)."""
    gain_pp: float
    """Gain of the primary metric in percentage points, signed so that positive is better
    (for a lower-is-better metric, a drop counts as a gain); rounded to 1e-9 pp."""
    emissions_g: float
    """Numerator: fine-tuning emissions plus the inference emissions added, gCO2e."""
    trainable_params_millions: float
    """Trainable parameters / 10⁶."""
    note: str | None = None
    """``"no gain"`` when ``gain_pp <= 0``; None otherwise."""


def cegi(
    finetune_emissions_g: float,
    quality_base: float,
    quality_finetuned: float,
    trainable_params: int,
    *,
    quality_scale: float = 100.0,
    inference_emissions_g: float = 0.0,
    higher_is_better: bool = True,
) -> CEGIResult:
    """Carbon Efficient Gain Index of a fine-tuned variant over its base model.

    Args:
        finetune_emissions_g: emissions of the fine-tuning phase, gCO2e (>= 0).
        quality_base: primary metric of the base model, same sweep, same samples.
        quality_finetuned: primary metric of the fine-tuned variant.
        trainable_params: parameters updated by fine-tuning (LoRA adapters only, for LoRA); > 0.
        quality_scale: factor turning a quality difference into percentage points: 100 for
            metrics given as fractions 0..1 (the default), 1 for metrics already in percent.
        inference_emissions_g: total inference emissions over the N queries to charge to the
            variant, gCO2e (>= 0), added to the numerator; 0 (the default) is the paper's CEGI.
        higher_is_better: False for metrics where lower is better (e.g. an error rate); the
            gain is then ``quality_base - quality_finetuned``.

    Returns:
        :class:`CEGIResult`; ``value`` is None with note ``"no gain"`` when the gain is <= 0,
        never a division by zero or a negative index.

    Raises:
        GreenbenchError: negative or non-finite emissions, non-finite qualities,
            ``trainable_params <= 0`` or ``quality_scale <= 0``.
    """
    where = "cegi"
    e_ft = non_negative(where, "finetune_emissions_g", finetune_emissions_g, "gCO2e")
    e_inf = non_negative(where, "inference_emissions_g", inference_emissions_g, "gCO2e")
    base = real(where, "quality_base", quality_base)
    tuned = real(where, "quality_finetuned", quality_finetuned)
    params = positive(where, "trainable_params", trainable_params)
    scale = positive(where, "quality_scale", quality_scale)

    # Rounded to 1e-9 pp so that float noise between equal qualities (0.1 + 0.2 vs 0.3) is no
    # gain rather than a near-zero denominator.
    gain_pp = round((tuned - base) * scale if higher_is_better else (base - tuned) * scale, 9)
    emissions = e_ft + e_inf
    params_m = params / 1e6
    if gain_pp <= 0:
        return CEGIResult(None, gain_pp, emissions, params_m, NO_GAIN)
    return CEGIResult(emissions / (gain_pp * params_m), gain_pp, emissions, params_m)
