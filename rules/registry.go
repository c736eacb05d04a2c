package rules

// registry is every rule, in ID order. An ID is never reused.
var registry = []*Rule{
	tc001,
	tc101,
	tc102,
	tc103,
	tc104,
	tc105,
	tc106,
	tc107,
	tc108,
	tc109,
	tc110,
	tc111,
	tc112,
	tc113,
	tc114,
	tc115,
	tc116,
	tc201,
	tc202,
	tc203,
	tc204,
	tc205,
	tc301,
	tc302,
	tc303,
	tc304,
	tc401,
	tc402,
	tc403,
	tc404,
	tc405,
}

// All returns the registered rules in ID order.
func All() []*Rule { return registry }
