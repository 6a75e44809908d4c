package emulator

func (e *Emulator) registerBatch(rt *router) {}
