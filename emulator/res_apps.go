package emulator

func (e *Emulator) registerApps(rt *router) {}
