// Package wire is nscope's remote protocol: length-prefixed frames over
// a byte stream (the stdin and stdout of "nscope agent", carried by ssh),
// a hello that both sides send first with the protocol versions they
// speak, and the JSON bodies of requests and replies.
//
// A frame is a 4-byte big-endian length, then that many bytes: a type
// byte, a 4-byte big-endian stream number, and the payload. A stream is
// one request and everything that belongs to it (its output, its input,
// its reply); stream 0 is the connection itself (hello, ping). Frames of
// different streams interleave, so a snapshot in flight does not hold up
// an action's reply.
package wire
