package emulator

func (e *Emulator) registerTodo(rt *router) {}
