"""PyNN's synapse types, as spinnframe runs them.

The rules are those of NEST's synapse models, which pyNN.nest maps PyNN's types to:
TsodyksMarkramSynapse -> tsodyks_synapse, STDPMechanism(SpikePairRule, ...) ->
stdp_synapse (the weight dependences set mu+/mu-), STDPMechanism(Vogels2011Rule, ...) ->
vogels_sprekeler_synapse, SimpleStochasticSynapse -> bernoulli_synapse. Parameters keep
PyNN's names and units (translations are the identity).
"""
from __future__ import annotations

from pyNN import errors
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import synapses as std

from ..simulator import state


def _identity(cls):
    return build_translations(*[(name, name) for name in cls.default_parameters])


def check_value(kind: str, name: str, value) -> None:
    """A clear error for a parameter value PyNN would reject with a message naming only its
    type: a bool, or a string that is not an expression of the distance ``d``."""
    if isinstance(value, bool):
        raise errors.InvalidParameterValueError(
            f"{kind} {name} must be a number, array, RandomDistribution or function of "
            f"distance, got {value!r}")
    if isinstance(value, str):
        try:
            f = eval(f"lambda d: {value}")     # as PyNN's LazyArray does
            f(0.0)
        except Exception as exc:
            raise errors.InvalidParameterValueError(
                f"{kind} {name}={value!r} is not a valid expression of the distance d "
                f"(e.g. '0.1 + 0.01*d'): {type(exc).__name__}: {exc}") from None


class _Checked:
    """Checks the values given to a synapse type's constructor."""

    def __init__(self, **parameters):
        for name, value in parameters.items():
            check_value(type(self).__name__, name, value)
        super().__init__(**parameters)


class StaticSynapse(_Checked, std.StaticSynapse):
    __doc__ = std.StaticSynapse.__doc__
    translations = _identity(std.StaticSynapse)

    def _get_minimum_delay(self):
        return state.min_delay


class TsodyksMarkramSynapse(_Checked, std.TsodyksMarkramSynapse):
    __doc__ = std.TsodyksMarkramSynapse.__doc__
    translations = _identity(std.TsodyksMarkramSynapse)

    def _get_minimum_delay(self):
        return state.min_delay


class SimpleStochasticSynapse(_Checked, std.SimpleStochasticSynapse):
    __doc__ = std.SimpleStochasticSynapse.__doc__
    translations = _identity(std.SimpleStochasticSynapse)

    def _get_minimum_delay(self):
        return state.min_delay


class SpikePairRule(std.SpikePairRule):
    __doc__ = std.SpikePairRule.__doc__
    translations = _identity(std.SpikePairRule)


class Vogels2011Rule(std.Vogels2011Rule):
    __doc__ = std.Vogels2011Rule.__doc__
    translations = _identity(std.Vogels2011Rule)


class AdditiveWeightDependence(std.AdditiveWeightDependence):
    __doc__ = std.AdditiveWeightDependence.__doc__
    translations = _identity(std.AdditiveWeightDependence)
    mu = (0.0, 0.0)


class MultiplicativeWeightDependence(std.MultiplicativeWeightDependence):
    __doc__ = std.MultiplicativeWeightDependence.__doc__
    translations = _identity(std.MultiplicativeWeightDependence)
    mu = (1.0, 1.0)


class AdditivePotentiationMultiplicativeDepression(
        std.AdditivePotentiationMultiplicativeDepression):
    __doc__ = std.AdditivePotentiationMultiplicativeDepression.__doc__
    translations = _identity(std.AdditivePotentiationMultiplicativeDepression)
    mu = (0.0, 1.0)


class GutigWeightDependence(std.GutigWeightDependence):
    __doc__ = std.GutigWeightDependence.__doc__
    translations = _identity(std.GutigWeightDependence)
    mu = None          # mu_plus and mu_minus are parameters


class STDPMechanism(std.STDPMechanism):
    __doc__ = std.STDPMechanism.__doc__
    base_translations = build_translations(("weight", "weight"), ("delay", "delay"),
                                           ("dendritic_delay_fraction",
                                            "dendritic_delay_fraction"))

    def __init__(self, timing_dependence=None, weight_dependence=None,
                 voltage_dependence=None, dendritic_delay_fraction=1.0, weight=0.0,
                 delay=None):
        if not isinstance(timing_dependence, (SpikePairRule, Vogels2011Rule)):
            raise errors.InvalidParameterValueError(
                f"STDPMechanism timing_dependence must be sim.SpikePairRule or "
                f"sim.Vogels2011Rule, got {type(timing_dependence).__name__}")
        if isinstance(timing_dependence, SpikePairRule) and not isinstance(
                weight_dependence, (AdditiveWeightDependence, MultiplicativeWeightDependence,
                                    AdditivePotentiationMultiplicativeDepression,
                                    GutigWeightDependence)):
            raise errors.InvalidParameterValueError(
                f"STDPMechanism weight_dependence must be one of sim.AdditiveWeightDependence, "
                f"MultiplicativeWeightDependence, AdditivePotentiationMultiplicativeDepression, "
                f"GutigWeightDependence; got {type(weight_dependence).__name__}")
        check_value("STDPMechanism", "weight", weight)
        check_value("STDPMechanism", "delay", delay)
        if voltage_dependence is not None:
            raise errors.InvalidParameterValueError(
                "STDPMechanism: voltage_dependence is not supported")
        if dendritic_delay_fraction != 1.0:
            raise errors.InvalidParameterValueError(
                f"STDPMechanism: dendritic_delay_fraction must be 1 (all of the delay is "
                f"dendritic, as in NEST), got {dendritic_delay_fraction}")
        # a copy per instance: PyNN's _build_translations updates the class attribute
        self.base_translations = dict(STDPMechanism.base_translations)
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)

    def _build_translations(self):
        self.translations = dict(self.base_translations)
        for component in (self.timing_dependence, self.weight_dependence):
            if component:
                self.translations.update(component.translations)

    def _get_minimum_delay(self):
        return state.min_delay


#: Synapse types Projection accepts.
SUPPORTED = (StaticSynapse, TsodyksMarkramSynapse, SimpleStochasticSynapse, STDPMechanism)


def dynamics_of(synapse_type) -> str:
    """The engine's name for what a synapse type does."""
    if isinstance(synapse_type, TsodyksMarkramSynapse):
        return "tsodyks"
    if isinstance(synapse_type, SimpleStochasticSynapse):
        return "stochastic"
    if isinstance(synapse_type, STDPMechanism):
        return "vogels" if isinstance(synapse_type.timing_dependence, Vogels2011Rule) else "stdp"
    return "static"
