"""The nn.Modules, one module per network, each built from a @dataclass config."""
