package ruby

// rack3ForwardedScheme and rackForwardedFor are filled in with Rack 3's
// model below.
func rack3ForwardedScheme(env *rackEnv) (string, bool) { return "", false }
func rackForwardedFor(env *rackEnv) []string           { return nil }
