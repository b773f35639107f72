#!/usr/bin/env bash
# The ARM cross-compiler with which the test suite checks that every bundled kernel builds
# for SpiNNaker's ARM968 cores (tests/test_arm_fixed_point.py). Installs Debian's
# gcc-arm-none-eabi where that is possible (root with apt-get); elsewhere it says how to
# get it, and those tests are skipped (except under CI=true, where they fail).
# Never stops the command it is part of.
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    exit 0
fi
packages="gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing the ARM cross-compiler ($packages) ..." >&2
    if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends $packages) >/dev/null 2>&1; then
        echo "could not install $packages with apt-get" >&2
    fi
else
    echo "arm-none-eabi-gcc not found: the ARM cross-compilation tests will be skipped" \
         "(Debian/Ubuntu: sudo apt-get install $packages)" >&2
fi
exit 0
