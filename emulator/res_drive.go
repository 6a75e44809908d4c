package emulator

func (e *Emulator) registerDrive(rt *router) {}
