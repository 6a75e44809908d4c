package emulator

func (e *Emulator) registerDirectory(rt *router) {}
