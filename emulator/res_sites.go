package emulator

func (e *Emulator) registerSites(rt *router) {}
