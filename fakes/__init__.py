"""Local stand-ins for the APIs jamfor talks to, for tests, benches and `make demo`; loopback only.

- `fakes.kolada`: the Kolada v3 replay (real values, fault injection, canned-page mode);
- `fakes.scb`: SCB's PxWeb API serving the real SCB fixture answers;
- `fakes.http`: one small generic server for tests of sources.http's own behaviour.

Every fake binds 127.0.0.1 by default, serves from daemon threads and stops what it starts on exit.
"""
