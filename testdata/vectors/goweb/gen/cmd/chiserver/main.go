// Command chiserver is the e2e suite's real chi app: it answers every
// request with the accessor fields trustcheck predicts, as JSON.
package main

import "trustcheck.example/goweb-gen/apps"

func main() { apps.Main("chi") }
