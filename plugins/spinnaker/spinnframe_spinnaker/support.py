"""What the SpiNNaker backend can run, and the check that a network stays within it.

Everything here is plain data and needs no sPyNNaker, so the check runs (and reports every
unsupported piece at once) before anything is imported, mapped or sent to a machine.
"""
from __future__ import annotations

import attrs
import numpy as np

from .errors import UnsupportedError


@attrs.frozen
class ModelMap:
    """How one spinnframe cell type becomes a sPyNNaker one.

    spynnaker:  the class name in ``spynnaker.pyNN``.
    parameters: spinnframe parameter -> sPyNNaker parameter.
    state:      public state variable -> sPyNNaker initial value it sets.
    zero_state: public state variables sPyNNaker has no counterpart for: they must be 0
                (their default) at the start.
    record:     recordable variable -> the name sPyNNaker records it under.
    """

    spynnaker: str
    parameters: dict
    state: dict = attrs.field(factory=dict)
    zero_state: tuple = ()
    record: dict = attrs.field(factory=lambda: {"spikes": "spikes"})


def _same(*names):
    return {n: n for n in names}


_LIF = ("v_rest", "cm", "tau_m", "tau_refrac", "i_offset", "v_reset", "v_thresh")
_SYN = ("tau_syn_E", "tau_syn_I")

#: The cell types the backend runs, by spinnframe name.
MODELS: dict[str, ModelMap] = {
    "IF_curr_exp": ModelMap(
        "IF_curr_exp", _same(*_LIF, *_SYN), _same("v", "isyn_exc", "isyn_inh"),
        record={"spikes": "spikes", "v": "v", "isyn_exc": "gsyn_exc", "isyn_inh": "gsyn_inh"}),
    "IF_cond_exp": ModelMap(
        "IF_cond_exp", _same(*_LIF, *_SYN, "e_rev_E", "e_rev_I"),
        {"v": "v", "gsyn_exc": "isyn_exc", "gsyn_inh": "isyn_inh"},
        record=_same("spikes", "v", "gsyn_exc", "gsyn_inh")),
    "IF_curr_alpha": ModelMap(
        "IF_curr_alpha", _same(*_LIF, *_SYN), _same("v"), zero_state=("isyn_exc", "isyn_inh"),
        record={"spikes": "spikes", "v": "v", "isyn_exc": "gsyn_exc", "isyn_inh": "gsyn_inh"}),
    "IF_curr_delta": ModelMap(
        "IF_curr_delta", _same(*_LIF), _same("v"), record=_same("spikes", "v")),
    "Izhikevich": ModelMap(
        "Izhikevich", _same("a", "b", "c", "d", "i_offset"), _same("v", "u"),
        record=_same("spikes", "v")),
    "SpikeSourceArray": ModelMap("SpikeSourceArray", _same("spike_times")),
    "SpikeSourcePoisson": ModelMap("SpikeSourcePoisson", _same("rate", "start", "duration")),
}

#: Current sources, by spinnframe name: spinnframe parameter -> sPyNNaker parameter.
CURRENT_SOURCES: dict[str, dict] = {
    "DCSource": _same("amplitude", "start", "stop"),
    "ACSource": _same("amplitude", "start", "stop", "frequency", "offset", "phase"),
    "StepCurrentSource": _same("times", "amplitudes"),
    "NoisyCurrentSource": _same("mean", "stdev", "start", "stop", "dt"),
}

#: STDP weight dependences by the exponents (mu_plus, mu_minus) the IR carries.
WEIGHT_DEPENDENCES = {(0.0, 0.0): "AdditiveWeightDependence",
                      (1.0, 1.0): "MultiplicativeWeightDependence"}

SYNAPSES = ("StaticSynapse", "STDPMechanism (SpikePairRule with AdditiveWeightDependence or "
            "MultiplicativeWeightDependence)")
_SYNAPSE_NAMES = {"tsodyks": "TsodyksMarkramSynapse", "vogels": "STDPMechanism with "
                  "Vogels2011Rule", "stochastic": "SimpleStochasticSynapse"}


def supported() -> str:
    """What the backend supports, as a person reads it (the tail of every
    :class:`UnsupportedError`)."""
    rec = "; ".join(f"{name}: {', '.join(m.record)}" for name, m in MODELS.items()
                    if len(m.record) > 1)
    return (f"The spinnaker backend supports: neuron models {', '.join(MODELS)}; "
            f"synapse dynamics {', '.join(SYNAPSES)}; current sources "
            f"{', '.join(CURRENT_SOURCES)}; every connector (connections are passed to "
            f"sPyNNaker as lists); recording spikes of every model and {rec}; "
            f"add_placement_constraint (x, y; a core number p only for spike sources) and "
            f"set_max_atoms_per_core.")


def unsupported(problems) -> UnsupportedError:
    """One error naming every problem, then what is supported."""
    problems = list(dict.fromkeys(problems))
    head = problems[0] if len(problems) == 1 else \
        "; ".join(f"({i + 1}) {p}" for i, p in enumerate(problems))
    return UnsupportedError(f"the spinnaker backend cannot run this network: {head}. "
                            f"{supported()}")


def model_problems(spec) -> list[str]:
    """Why neuron model ``spec`` cannot run on SpiNNaker (empty: it can)."""
    m = MODELS.get(spec.name)
    if m is None:
        return [f"neuron model {spec.name} is not supported"]
    declared = {p.name for p in spec.parameters}
    if declared != set(m.parameters):
        return [f"neuron model {spec.name} is declared with parameters {sorted(declared)}, "
                f"not PyNN's {sorted(m.parameters)} that sPyNNaker's {m.spynnaker} takes"]
    return []


def check_model(spec) -> None:
    """Raise :class:`UnsupportedError` if neuron model ``spec`` cannot run on SpiNNaker
    (called when a Population is made, so the error comes at the line that made it)."""
    problems = model_problems(spec)
    if problems:
        raise unsupported(problems)


def timestep_problems(dt: float) -> list[str]:
    us = dt * 1000.0
    if abs(us - round(us)) > 1e-6 or round(us) < 1:
        return [f"the time step must be a whole number of microseconds on SpiNNaker, "
                f"got {dt:g} ms"]
    return []


def network_problems(net) -> list[str]:
    """Every reason why the IR ``net`` cannot run on SpiNNaker."""
    problems = timestep_problems(net.dt)
    for pop in net.populations:
        where = f"population {pop.label!r}"
        found = model_problems(pop.model)
        if found:
            problems.extend(f"{p} ({where})" for p in found)
            continue
        m = MODELS[pop.model.name]
        if pop.placement is not None and len(pop.placement) > 2 and \
                pop.placement[2] is not None and not pop.model.is_source:
            problems.append(
                f"a placement constraint with a core number (p={pop.placement[2]}) for "
                f"neuron population {pop.label!r}: sPyNNaker gives each slice of a neuron "
                f"population a neuron core and synapse cores, which cannot share one core "
                f"number; give only the chip, add_placement_constraint(x, y)")
        for name in m.zero_state:
            if np.any(np.asarray(pop.state[name], dtype=float) != 0.0):
                problems.append(f"initial {name} other than 0 for {pop.model.name} ({where}): "
                                f"sPyNNaker's model has no such state variable")
        for req in pop.samples:
            if req.variable not in m.record:
                problems.append(f"recording {req.variable!r} of {pop.model.name} ({where}); "
                                f"sPyNNaker records {', '.join(m.record)}")
            elif req.origin != 0 and len(req.indices):
                problems.append(f"starting to record {req.variable!r} after the first run "
                                f"({where}; call record() before the first run)")
    for prj in net.projections:
        where = f"projection {prj.label or prj.index!r} " \
                f"({net.populations[prj.pre].label!r} -> {net.populations[prj.post].label!r})"
        if prj.synapse == "stdp":
            mu = (float(prj.dynamics.get("mu_plus", 0.0)), float(prj.dynamics.get("mu_minus", 0.0)))
            if mu not in WEIGHT_DEPENDENCES:
                problems.append(
                    f"STDP weight dependence with mu_plus={mu[0]:g}, mu_minus={mu[1]:g} "
                    f"(AdditivePotentiationMultiplicativeDepression or GutigWeightDependence) "
                    f"in {where}")
        elif prj.synapse != "static":
            problems.append(f"synapse dynamics {_SYNAPSE_NAMES.get(prj.synapse, prj.synapse)} "
                            f"in {where}")
        if prj.receptor not in ("excitatory", "inhibitory"):
            problems.append(f"receptor type {prj.receptor!r} in {where}")
    for src in net.current_sources:
        if src.model.name not in CURRENT_SOURCES:
            problems.append(f"current source {src.model.name}")
        elif src.record:
            problems.append(f"recording the current of a {src.model.name} (sPyNNaker cannot "
                            f"record current sources)")
        if src.model.name == "NoisyCurrentSource" and \
                abs(float(src.parameters["dt"][0]) - net.dt) > 1e-9 * net.dt:
            problems.append(f"a NoisyCurrentSource with dt={float(src.parameters['dt'][0]):g} "
                            f"ms (sPyNNaker draws a new value every time step, so dt must be "
                            f"the time step, {net.dt:g} ms)")
    return problems


def check_network(net) -> None:
    """Raise :class:`UnsupportedError` naming every unsupported piece of ``net``."""
    problems = network_problems(net)
    if problems:
        raise unsupported(problems)
