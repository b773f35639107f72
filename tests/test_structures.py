"""The structures plugin (spinnframe-structures): Line, Grid2D, Grid3D, RandomStructure and
the shapes Cuboid and Sphere; positions of populations, views and assemblies;
position_generator, nearest(), save_positions(); tuple sizes; distance-dependent
connections and weights computed from those positions.

Expected positions are computed independently in the tests (explicit formulas, loops, or
numpy's RandomState with the same seed), not by calling the plugin's code.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import pyNN.space
from pyNN.random import NumpyRNG

import spinnframe.pyNN as sim
import spinnframe_structures as plugin
from spinnframe.plugins import PluginManager


@pytest.fixture(autouse=True)
def simulation():
    sim.setup(timestep=0.1)
    yield
    sim.end()


def cells(n, structure=None, label=None):
    return sim.Population(n, sim.IF_curr_exp(), structure=structure, label=label)


# -- the plugin ---------------------------------------------------------------------------
def test_plugin_is_discovered_and_provides_the_structures():
    mgr = PluginManager()
    mgr.load()
    info = mgr.plugins["structures"]
    assert info.error is None and info.distribution == "spinnframe-structures"
    assert info.kind == "structures"
    assert info.provides["structures"] == ("Line", "Grid2D", "Grid3D", "RandomStructure")
    assert mgr.provider("structure", "Grid2D").name == "structures"
    # sim.<name> resolves through the plugin (the spinnframe_structures hook)
    for name in ("Line", "Grid2D", "Grid3D", "RandomStructure"):
        cls = getattr(sim, name)
        assert cls is getattr(plugin, name)
        assert issubclass(cls, getattr(pyNN.space, name))
        assert issubclass(cls, pyNN.space.BaseStructure)


def test_shapes_are_offered_by_random_structure_not_registered_as_structures():
    mgr = PluginManager()
    mgr.load()
    assert "Cuboid" not in mgr.structures and "Sphere" not in mgr.structures
    assert sim.Cuboid is plugin.Cuboid and sim.Sphere is plugin.Sphere
    assert issubclass(sim.Cuboid, pyNN.space.Shape) and issubclass(sim.Sphere, pyNN.space.Shape)
    assert set(sim.RandomStructure.shapes) == {sim.Cuboid, sim.Sphere}
    with pytest.raises(AttributeError, match="Cuboid, .*Sphere|shapes: .*Cuboid"):
        sim.Cubeoid  # noqa: B018


def test_cli_lists_the_structures_plugin():
    out = subprocess.run([sys.executable, "-m", "spinnframe.cli", "plugins", "--json"],
                         capture_output=True, text=True, check=True)
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["structures"]["kind"] == "structures"
    assert rows["structures"]["provides"] == \
        "structures: Line, Grid2D, Grid3D, RandomStructure"
    assert rows["structures"]["distribution"] == "spinnframe-structures"


# -- positions of each structure ------------------------------------------------------------
def test_line_positions():
    p = cells(5, sim.Line(dx=2.5, x0=-1.0, y=3.0, z=4.0))
    expected = np.array([[-1.0, 1.5, 4.0, 6.5, 9.0], [3.0] * 5, [4.0] * 5])
    assert p.positions.shape == (3, 5)
    np.testing.assert_array_equal(p.positions, expected)


def test_grid2d_positions_aspect_ratio_spacing_and_origin():
    # aspect_ratio = nx / ny = 2 with 18 cells: a 6 x 3 grid, y varying fastest
    g = sim.Grid2D(aspect_ratio=2.0, dx=1.5, dy=0.5, x0=10.0, y0=-2.0, z=7.0)
    p = cells(18, g)
    expected = np.array([[10.0 + 1.5 * ix, -2.0 + 0.5 * iy, 7.0]
                         for ix in range(6) for iy in range(3)]).T
    np.testing.assert_array_equal(p.positions, expected)
    assert g.calculate_size(18) == (6, 3)
    # the same as PyNN's own Grid2D
    np.testing.assert_array_equal(
        p.positions, pyNN.space.Grid2D(2.0, 1.5, 0.5, 10.0, -2.0, 7.0).generate_positions(18))


def test_grid3d_positions_aspect_ratios():
    # nx / ny = 2, nx / nz = 0.5 with 64 cells: 4 x 2 x 8, z fastest, then y, then x
    g = sim.Grid3D(aspect_ratioXY=2.0, aspect_ratioXZ=0.5, dx=1.0, dy=2.0, dz=3.0,
                   x0=1.0, y0=2.0, z0=3.0)
    p = cells(64, g)
    expected = np.array([[1.0 + ix, 2.0 + 2.0 * iy, 3.0 + 3.0 * iz]
                         for ix in range(4) for iy in range(2) for iz in range(8)]).T
    np.testing.assert_array_equal(p.positions, expected)
    assert g.calculate_size(64) == (4, 2, 8)
    np.testing.assert_array_equal(
        p.positions, pyNN.space.Grid3D(2.0, 0.5, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0)
        .generate_positions(64))


@pytest.mark.parametrize("cls, n", [("Grid2D", 16), ("Grid3D", 27)])
def test_random_fill_order_is_a_seeded_permutation_of_the_grid(cls, n):
    seq = getattr(sim, cls)(dx=2.0).generate_positions(n)
    p = cells(n, getattr(sim, cls)(dx=2.0, fill_order="random", rng=NumpyRNG(seed=42)))
    # independent: numpy's generator with the same seed permutes the grid points
    expected = np.random.RandomState(42).permutation(seq.T).T
    np.testing.assert_array_equal(p.positions, expected)
    assert not np.array_equal(p.positions, seq)
    # the same points, each once
    assert sorted(map(tuple, p.positions.T)) == sorted(map(tuple, seq.T))
    # as PyNN's own class with the same seed
    pynn = getattr(pyNN.space, cls)(dx=2.0, fill_order="random", rng=NumpyRNG(seed=42))
    np.testing.assert_array_equal(p.positions, pynn.generate_positions(n))


def test_grids_that_do_not_fit_give_a_clear_error():
    with pytest.raises(ValueError, match=r"Grid2D\(aspect_ratio=1\) cannot hold 10 cells"):
        sim.Grid2D().generate_positions(10)
    with pytest.raises(ValueError, match=r"Grid3D.*cannot hold 10 cells.*2 x 2 x 2"):
        sim.Grid3D().generate_positions(10)
    p = cells(10, sim.Grid2D())
    with pytest.raises(ValueError, match="cannot hold 10 cells"):
        p.positions  # noqa: B018


def test_random_structure_in_a_cuboid_matches_an_independent_computation():
    n = 200
    rs = sim.RandomStructure(boundary=sim.Cuboid(4.0, 2.0, 1.0), origin=(10.0, 0.0, -5.0),
                             rng=NumpyRNG(seed=7))
    p = cells(n, rs)
    u = np.random.RandomState(7).uniform(-1.0, 1.0, size=(n, 3))
    expected = (np.array([10.0, 0.0, -5.0]) + u * np.array([2.0, 1.0, 0.5])).T
    np.testing.assert_allclose(p.positions, expected, rtol=0, atol=1e-12)
    lo = np.array([[8.0], [-1.0], [-5.5]])
    hi = np.array([[12.0], [1.0], [-4.5]])
    assert ((p.positions >= lo) & (p.positions <= hi)).all()
    # the same positions as PyNN's own classes with the same seed
    pynn = pyNN.space.RandomStructure(pyNN.space.Cuboid(4.0, 2.0, 1.0), (10.0, 0.0, -5.0),
                                      NumpyRNG(seed=7)).generate_positions(n)
    np.testing.assert_array_equal(p.positions, pynn)


def _sphere_one_at_a_time(n, radius, gen):
    """Independent reference: draw candidates one at a time in [-1, 1]^3, keep those
    inside the unit ball."""
    out = []
    while len(out) < n:
        c = gen.uniform(-1.0, 1.0, size=3)
        if c[0] ** 2 + c[1] ** 2 + c[2] ** 2 < 1.0:
            out.append(c)
    return radius * np.array(out).reshape(n, 3)


def test_random_structure_in_a_sphere_matches_an_independent_computation():
    n = 500
    rng = NumpyRNG(seed=11)
    p = cells(n, sim.RandomStructure(boundary=sim.Sphere(3.0), origin=(1.0, 2.0, 3.0),
                                     rng=rng))
    gen = np.random.RandomState(11)
    expected = (_sphere_one_at_a_time(n, 3.0, gen) + np.array([1.0, 2.0, 3.0])).T
    np.testing.assert_allclose(p.positions, expected, rtol=0, atol=1e-12)
    # the generator is left exactly where the one-at-a-time loop leaves it
    assert rng.uniform(0, 1) == gen.uniform(0, 1)
    r = np.linalg.norm(p.positions - np.array([[1.0], [2.0], [3.0]]), axis=0)
    assert (r < 3.0).all()
    # uniform density: an eighth of the points lie within half the radius
    assert abs((r < 1.5).mean() - 1 / 8) < 4 * np.sqrt(1 / 8 * 7 / 8 / n)
    # the same positions as PyNN's own classes with the same seed
    pynn = pyNN.space.RandomStructure(pyNN.space.Sphere(3.0), (1.0, 2.0, 3.0),
                                      NumpyRNG(seed=11)).generate_positions(n)
    np.testing.assert_array_equal(p.positions, pynn)


def test_pynn_and_plugin_classes_mix():
    """A Population takes PyNN's pyNN.space classes as well as the plugin's; each
    RandomStructure takes either kind of shape."""
    a = cells(12, pyNN.space.Grid2D(aspect_ratio=3.0, dx=2.0))
    b = cells(12, sim.Grid2D(aspect_ratio=3.0, dx=2.0))
    np.testing.assert_array_equal(a.positions, b.positions)
    c = cells(20, pyNN.space.RandomStructure(boundary=sim.Cuboid(1, 1, 1), rng=NumpyRNG(3)))
    d = cells(20, sim.RandomStructure(boundary=pyNN.space.Cuboid(1, 1, 1), rng=NumpyRNG(3)))
    np.testing.assert_array_equal(c.positions, d.positions)
    e = cells(20, sim.RandomStructure(boundary=pyNN.space.Sphere(2.0), rng=NumpyRNG(4)))
    f = cells(20, pyNN.space.RandomStructure(boundary=sim.Sphere(2.0), rng=NumpyRNG(4)))
    np.testing.assert_array_equal(e.positions, f.positions)
    # the shapes as PyNN scripts usually import them keep working with spinnframe
    g = cells(8, sim.RandomStructure(boundary=sim.space.Cuboid(1, 1, 1), rng=NumpyRNG(5)))
    assert g.positions.shape == (3, 8)


def test_structure_equality_repr_and_describe():
    assert sim.Line(dx=2.0) == pyNN.space.Line(dx=2.0)
    assert sim.Line(dx=2.0) != sim.Line(dx=3.0)
    assert sim.Grid2D() != sim.Line()
    assert sim.Grid3D(2.0, 0.5) == sim.Grid3D(2.0, 0.5)
    assert sim.Cuboid(1, 2, 3) == sim.Cuboid(1.0, 2.0, 3.0)
    assert repr(sim.Line(dx=2.0)) == "Line(dx=2.0, x0=0.0, y=0.0, z=0.0)"
    assert repr(sim.Sphere(2)) == "Sphere(radius=2.0)"
    assert "Grid2D" in sim.Grid2D().describe()
    p = cells(4, sim.Line(dx=2.0))
    first = p.positions
    p.structure = sim.Line(dx=2.0)          # an equal structure keeps the positions
    assert p.positions is first
    p.structure = sim.Line(dx=3.0)
    np.testing.assert_array_equal(p.positions[0], [0.0, 3.0, 6.0, 9.0])


@pytest.mark.parametrize("make, error, match", [
    (lambda: sim.Line(dx="a"), TypeError, "Line: dx must be a number"),
    (lambda: sim.Grid2D(aspect_ratio=0), ValueError, "aspect_ratio must be a finite number > 0"),
    (lambda: sim.Grid2D(fill_order="spiral"), ValueError, "fill_order must be"),
    (lambda: sim.Grid3D(dz=float("nan")), ValueError, "dz must be a finite number"),
    (lambda: sim.Cuboid(-1, 1, 1), ValueError, "width must be a finite number >= 0"),
    (lambda: sim.Sphere("big"), TypeError, "radius must be a number"),
    (lambda: sim.RandomStructure(boundary=5), TypeError, "boundary must be a shape"),
    (lambda: sim.RandomStructure(sim.Sphere(1), origin=(0, 0)), ValueError,
     "origin must be three finite numbers"),
])
def test_bad_arguments_give_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# -- position_generator, nearest, save_positions ---------------------------------------------
def test_position_generator_gives_each_cells_position():
    p = cells(12, sim.Grid2D(aspect_ratio=4 / 3, dx=2.0, dy=3.0))
    gen = p.position_generator
    for i in range(p.size):
        np.testing.assert_array_equal(gen(i), p.positions[:, i])
    np.testing.assert_array_equal(gen(np.array([2, 5])), p.positions[:, [2, 5]].T)
    view = p[[7, 2, 9]]             # PyNN sorts the indices of a view: cells 2, 7, 9
    for k in range(view.size):
        np.testing.assert_array_equal(view.position_generator(k), p.positions[:, [2, 7, 9][k]])
    np.testing.assert_array_equal(p[4].position, p.positions[:, 4])


def test_nearest_finds_the_closest_cell():
    p = cells(30, sim.RandomStructure(sim.Cuboid(10, 10, 10), rng=NumpyRNG(8)))
    points = np.random.RandomState(0).uniform(-6, 6, size=(20, 3))
    for point in points:
        expected = np.argmin(((p.positions.T - point) ** 2).sum(axis=1))
        assert p.nearest(point) == p[expected]
    g = cells(12, sim.Grid2D(aspect_ratio=4 / 3, dx=2.0, dy=3.0))     # 4 x 3 grid
    assert g.nearest((4.1, 2.8, 0.0)) == g[2 * 3 + 1]
    view = g[[0, 5, 11]]
    assert view.nearest((6.0, 6.0, 0.0)) == g[11]
    assembly = p + g
    assert assembly.nearest((4.1, 2.8, 0.0)) == g[7]


def test_save_positions_writes_index_x_y_z_and_reads_back(tmp_path):
    p = cells(18, sim.Grid3D(aspect_ratioXY=1.0, aspect_ratioXZ=1.5, dx=0.5, dy=1.5,
                             dz=2.5, z0=1.0), label="cube")        # 3 x 3 x 2
    path = tmp_path / "positions.txt"
    p.save_positions(str(path))
    text = path.read_text()
    assert text.startswith("# population = cube")
    data = np.loadtxt(path, comments="#")
    assert data.shape == (18, 4)
    np.testing.assert_array_equal(data[:, 0], np.arange(18))
    np.testing.assert_allclose(data[:, 1:], p.positions.T, rtol=1e-15)
    # a view writes indices in the view
    view = p[[10, 3, 17]]
    view.save_positions(str(tmp_path / "view.txt"))
    data = np.loadtxt(tmp_path / "view.txt")
    np.testing.assert_array_equal(data[:, 0], [0, 1, 2])
    np.testing.assert_allclose(data[:, 1:], p.positions[:, [3, 10, 17]].T, rtol=1e-15)
    # an assembly writes indices in the assembly
    q = cells(3, sim.Line(x0=100.0), label="line")
    (p + q).save_positions(str(tmp_path / "assembly.txt"))
    data = np.loadtxt(tmp_path / "assembly.txt")
    np.testing.assert_array_equal(data[:, 0], np.arange(21))
    np.testing.assert_allclose(data[:, 1:], np.hstack([p.positions, q.positions]).T)


# -- views, assemblies, tuple sizes ------------------------------------------------------------
def test_positions_of_views_and_assemblies():
    p = cells(20, sim.Grid2D(aspect_ratio=0.8, dx=1.0, dy=2.0))    # 4 x 5
    q = cells(6, sim.Line(dx=3.0, y=50.0))
    np.testing.assert_array_equal(p[3:9].positions, p.positions[:, 3:9])
    # (PyNN sorts the indices of a view)
    np.testing.assert_array_equal(p[[9, 0, 4]].positions, p.positions[:, [0, 4, 9]])
    mask = np.zeros(20, bool)
    mask[[1, 2, 15]] = True
    np.testing.assert_array_equal(p[mask].positions, p.positions[:, mask])
    vv = p[2:18][[0, 5, 10]]                                 # a view of a view
    np.testing.assert_array_equal(vv.positions, p.positions[:, [2, 7, 12]])
    assembly = sim.Assembly(p, q)
    np.testing.assert_array_equal(assembly.positions, np.hstack([p.positions, q.positions]))
    assembly = p[[4, 5]] + q[::2]
    np.testing.assert_array_equal(assembly.positions,
                                  np.hstack([p.positions[:, [4, 5]], q.positions[:, ::2]]))
    np.testing.assert_array_equal(assembly.position_generator(3), q.positions[:, 2])


@pytest.mark.parametrize("size, expected", [
    ((5,), [[i, 0, 0] for i in range(5)]),
    ((4, 3), [[ix, iy, 0] for ix in range(4) for iy in range(3)]),
    ((2, 3, 4), [[ix, iy, iz] for ix in range(2) for iy in range(3) for iz in range(4)]),
    ((6, 2), [[ix, iy, 0] for ix in range(6) for iy in range(2)]),
])
def test_tuple_sizes_give_grids(size, expected):
    p = sim.Population(size, sim.IF_curr_exp())
    assert p.size == int(np.prod(size))
    np.testing.assert_array_equal(p.positions, np.array(expected, dtype=float).T)


@pytest.mark.xfail(reason="PyNN's Grid2D (which common.Population builds for tuple sizes) "
                          "checks n % sqrt(n * aspect) with floats and rejects e.g. (7, 25); "
                          "spinnframe_structures.Grid2D does not", strict=False)
def test_tuple_sizes_whose_aspect_ratio_is_not_exact_in_floating_point():
    p = sim.Population((7, 25), sim.IF_curr_exp())
    assert p.positions.shape == (3, 175)


# -- connections and weights from positions --------------------------------------------------------
def test_distance_dependent_connector_uses_structure_positions():
    pre = cells(36, sim.Grid2D(dx=1.0, dy=1.0))                         # 6 x 6
    post = cells(20, sim.RandomStructure(sim.Cuboid(6, 6, 0), origin=(2.5, 2.5, 0.0),
                                         rng=NumpyRNG(21)))
    prj = sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector("d < 2.0"),
                         sim.StaticSynapse(weight="0.1 + 0.01*d", delay="0.2 + 0.1*d"))
    d = np.sqrt(((pre.positions.T[:, None, :] - post.positions.T[None, :, :]) ** 2).sum(-1))
    expected = set(zip(*np.nonzero(d < 2.0)))
    conns = prj.get(["weight", "delay"], format="list")
    assert {(i, j) for i, j, _, _ in conns} == expected
    for i, j, w, dl in conns:
        assert w == pytest.approx(0.1 + 0.01 * d[i, j], rel=1e-12)
        assert dl == pytest.approx(round((0.2 + 0.1 * d[i, j]) / 0.1) * 0.1, abs=1e-9)


def test_distance_dependent_probability_follows_the_expression():
    pre = cells(400, sim.Grid2D(dx=1.0, dy=1.0))                        # 20 x 20
    post = cells(100, sim.Grid2D(dx=2.0, dy=2.0, x0=0.5, y0=0.5))       # 10 x 10
    expr = "exp(-d / 4.0)"
    prj = sim.Projection(pre, post, sim.DistanceDependentProbabilityConnector(
        expr, rng=NumpyRNG(seed=99)))
    d = np.sqrt(((pre.positions.T[:, None, :] - post.positions.T[None, :, :]) ** 2).sum(-1))
    p = np.exp(-d / 4.0)
    got = np.zeros_like(p)
    i, j = np.array(prj.get("weight", format="list"))[:, :2].astype(int).T
    got[i, j] = 1
    # overall count and the count in distance bands match the probabilities
    bands = np.digitize(d, [2, 4, 8, 16])
    for band in range(5):
        sel = bands == band
        mean, var = p[sel].sum(), (p[sel] * (1 - p[sel])).sum()
        assert abs(got[sel].sum() - mean) < 4 * np.sqrt(var) + 1, band
