"""Inference energy of a model that cannot run here, estimated from its active parameters.

Method (as in the SLMs-vs-LLMs study of Garg et al., which scales a published per-query energy
of a reference LLM linearly with active parameters): energy is proportional to the active
parameters and, when known, to the generated tokens. Decoding a token costs about
2 x active-parameter FLOP, so at fixed hardware efficiency energy per token is linear in the
active parameters.

Reference constant (an estimate, not a measurement): Epoch AI, "How much energy does ChatGPT
use?" (J. You, Gradient Updates, February 2025; https://epoch.ai/gradient-updates/how-much-energy-does-chatgpt-use)
estimates about 0.3 Wh for a typical GPT-4o query, assuming 100 B active parameters, 500 output
tokens, H100 GPUs at 10 % FLOP utilization, and a data-centre PUE of 1.2. greenbench applies PUE
itself when it converts energy to emissions, so the reference is taken without it:
0.3 Wh x 3600 J/Wh / 1.2 = 900 J per 500-token query at 100 B active parameters, i.e.
:data:`J_PER_TOKEN_PER_ACTIVE_PARAM` = 1.8e-11 J per generated token per active parameter.

Prompt tokens count too: each token processed, read or generated, costs about 2 x active-
parameter FLOP, so the per-token constant applies to prompt + generated tokens when both are
known (prefill runs at higher utilization than decoding, so this leans high for long prompts).

The study itself (Garg et al., 2025) scaled a published per-query *emissions* figure of a
GPT-3-class model, 4.32 gCO2e per query of about 100 tokens at 175 B parameters, linearly with
active parameters: :func:`estimate_inference_emissions_garg2025` (``param_scaling: garg2025``)
reproduces it, so a sweep's break-even figures compare with the paper's. It estimates emissions,
not energy: the phase carries gCO2e and no joules, labelled ``estimated:garg2025``. The default
(``epoch2025``) estimates energy from the later Epoch AI figure, whose assumptions (parameters,
tokens, hardware, PUE) are stated; greenbench then applies the model's own carbon context. Both
are estimates with wide uncertainty (Epoch gives 0.06-3.9 Wh across its scenarios); the
provenance string names the constants so a report can show them.
"""

from __future__ import annotations

from greenbench.errors import GreenbenchError
from greenbench.units import J_PER_WH

#: Reference energy per query, watt-hours at the facility (Epoch AI 2025, GPT-4o, PUE included).
REFERENCE_WH_PER_QUERY = 0.3
#: Power usage effectiveness included in the reference figure, removed here.
REFERENCE_PUE = 1.2
#: Active parameters assumed for the reference model (GPT-4o).
REFERENCE_ACTIVE_PARAMS = 100e9
#: Output tokens of the reference query.
REFERENCE_OUTPUT_TOKENS = 500
#: Joules per query at the reference size, IT equipment only (PUE removed): 900 J.
J_PER_QUERY_AT_REFERENCE = REFERENCE_WH_PER_QUERY * J_PER_WH / REFERENCE_PUE
#: Joules per generated token per active parameter: 1.8e-11.
J_PER_TOKEN_PER_ACTIVE_PARAM = J_PER_QUERY_AT_REFERENCE / (
    REFERENCE_OUTPUT_TOKENS * REFERENCE_ACTIVE_PARAMS
)

_SOURCE = (
    "ref=Epoch AI 2025 GPT-4o 0.3 Wh/query at 100e9 active params, 500 output tokens, "
    "PUE 1.2 removed"
)


#: Garg et al. (2025): gCO2e per query of a GPT-3-class model.
GARG_G_PER_QUERY = 4.32
#: Parameters of that model (GPT-3, 175 B, dense: all active).
GARG_REFERENCE_PARAMS = 175e9
#: Tokens (prompt + output) of that reference query.
GARG_REFERENCE_TOKENS = 100


def _check(active_params: float, queries: int, *tokens: int | None) -> None:
    if not active_params > 0:
        raise GreenbenchError(f"active_params {active_params!r}: give a positive number")
    if queries < 0 or any(t is not None and t < 0 for t in tokens):
        raise GreenbenchError(f"queries {queries!r} / tokens {tokens!r}: must be >= 0")


def estimate_inference_emissions_garg2025(
    active_params: float, queries: int, tokens: int | None = None
) -> dict:
    """Estimated inference emissions of ``queries`` queries, Garg et al.'s method: 4.32 gCO2e
    per 100-token query at 175 B parameters, scaled linearly by active parameters and by
    ``tokens`` (prompt + generated, the total over all queries); without ``tokens`` each query
    counts as the 100-token reference.

    Returns ``{"emissions_g": g, "provenance": {"estimate": "estimated:garg2025(...)"},
    "duration_s": None}``: emissions, not energy (the reference figure is gCO2e).
    """
    _check(active_params, queries, tokens)
    per_param = GARG_G_PER_QUERY / GARG_REFERENCE_PARAMS
    if tokens is None:
        grams = per_param * active_params * queries
        basis = f"{GARG_REFERENCE_TOKENS} tokens/query assumed"
    else:
        grams = per_param * active_params * tokens / GARG_REFERENCE_TOKENS
        basis = f"{tokens} prompt+generated tokens"
    provenance = (
        f"estimated:garg2025(ref=Garg et al. 2025 {GARG_G_PER_QUERY} gCO2e per "
        f"{GARG_REFERENCE_TOKENS}-token query at {GARG_REFERENCE_PARAMS:.3g} params; "
        f"active_params={active_params:.3g}; {basis}; emissions, not energy)"
    )
    return {"emissions_g": grams, "provenance": {"estimate": provenance}, "duration_s": None}


def estimate_inference_energy(
    active_params: float,
    queries: int,
    generated_tokens: int | None = None,
    prompt_tokens: int | None = None,
) -> dict:
    """Estimated inference energy of ``queries`` queries to a model with ``active_params``.

    With ``generated_tokens`` (the total over all queries) the estimate is
    ``J_PER_TOKEN_PER_ACTIVE_PARAM x active_params x (generated_tokens + prompt_tokens)``
    (prompt tokens when known); without it, each query counts as the reference query of 500
    output tokens: ``J_PER_QUERY_AT_REFERENCE x active_params / 1e11 x queries``.

    Returns ``{"energy_j": {"total": J, "estimate": J}, "provenance": {"estimate":
    "estimated:param-scaling(...)"}, "duration_s": None}`` (joules at the IT equipment; no
    duration, since nothing ran).
    """
    _check(active_params, queries, generated_tokens, prompt_tokens)
    if generated_tokens is None:
        joules = J_PER_QUERY_AT_REFERENCE * active_params / REFERENCE_ACTIVE_PARAMS * queries
        basis = f"{REFERENCE_OUTPUT_TOKENS} tokens/query assumed"
    else:
        tokens = generated_tokens + (prompt_tokens or 0)
        joules = J_PER_TOKEN_PER_ACTIVE_PARAM * active_params * tokens
        basis = f"{generated_tokens} generated tokens" + (
            f" + {prompt_tokens} prompt tokens" if prompt_tokens is not None else ""
        )
    provenance = (
        f"estimated:param-scaling({_SOURCE}; {J_PER_TOKEN_PER_ACTIVE_PARAM:.2g} J/token/param; "
        f"active_params={active_params:.3g}; {basis})"
    )
    return {
        "energy_j": {"total": joules, "estimate": joules},
        "provenance": {"estimate": provenance},
        "duration_s": None,
    }
