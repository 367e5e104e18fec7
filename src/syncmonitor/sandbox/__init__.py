"""The emulated remote services: a real HTTP server, a world generator and fault switches.

Start one from Python with `syncmonitor.sandbox.process.SandboxProcess`, drive it with
`syncmonitor.sandbox.admin.AdminClient`; the contract is docs/sandbox-contract.md.
"""
