// Package ports declares the interfaces the core needs from the outside
// world, one file per concern. Each is shaped by the use cases that call it.
package ports
