/**
 * Quiver's relay protocol (version 2: logins name their relay), modelled on iroh's relay protocol v2. A client reaches a relay over
 * HTTP/1.1 upgraded to WebSocket; every WebSocket binary message carries one {@link
 * org.quiver.relay.protocol.RelayFrame} (or a batch of them, below): a type byte, then a fixed layout per type (all integers big-endian):
 * <pre>
 *  type  frame                   body
 *  0x01  ServerChallenge         16 random bytes
 *  0x02  ClientAuth              32-byte EndpointId, 64-byte Ed25519 signature of "quiver-relay-v2" + challenge
 *                                + relay length + relay, 1-byte relay length, relay (the URL's host:port, ASCII)
 *  0x03  ServerConfirmsAuth      (empty); to a client that asked for features, 1 byte of them: bit 0 segments
 *                                (the relay takes and sends the two frames below)
 *  0x04  ServerDeniesAuth        UTF-8 reason (at most 1024 bytes)
 *  0x05  ClientToRelayDatagram   32-byte destination id, 1 ECN byte, the datagram (1 to 65535 bytes)
 *  0x06  RelayToClientDatagram   32-byte source id, 1 ECN byte, the datagram (1 to 65535 bytes)
 *  0x07  EndpointGone            32-byte id (it was sent to but is not connected)
 *  0x08  Ping                    8 bytes, echoed in the Pong
 *  0x09  Pong                    8 bytes
 *  0x0a  Health                  UTF-8 problem text, empty when healthy (at most 1024 bytes)
 *  0x0b  Restarting              u32 reconnect-in milliseconds, u32 try-for milliseconds
 *  0x0c  Status                  flags: bit 0 same id connected elsewhere, bit 1 rate limited
 *  0x0d  ClientToRelayDatagrams  32-byte destination id, 1 ECN byte, u16 segment size, then 1 to 64 datagrams of
 *                                the segment size each, the last perhaps shorter (a burst as UDP segmentation
 *                                offload cuts it), at most 65,499 bytes in all
 *  0x0e  RelayToClientDatagrams  32-byte source id, 1 ECN byte, u16 segment size, datagrams as in 0x0d
 * </pre>
 * A message may instead hold several frames (a batch, one WebSocket message for a burst of datagrams): the byte 0x7f,
 * then each frame as a u16 length and its bytes, the whole message within the same limit as a single frame's. A client
 * asks for batches with the header {@code X-Quiver-Relay-Batch: 1} in its upgrade request; a relay that takes batches
 * then sends its frames to it in batches (from the challenge on), and a client sends batches only to a relay that
 * sent it one. Older relays and clients never see a batch. A client asks for segmented frames (0x0d, 0x0e) with the
 * header {@code X-Quiver-Relay-Segments: 1}; a relay that takes them sets bit 0 of the features in its
 * ServerConfirmsAuth to that client only, and from then on each side may send them (a burst of datagrams crosses the
 * relay as one frame: one lookup, one queue entry, one copy). A relay cuts a burst into single datagrams for a
 * receiver that did not ask; in its queue towards a client a burst counts as the datagrams it holds. Package 0.5.0.
 * Client frames are masked as RFC 6455 says; Quiver's client uses the masking key 0 inside TLS and to a relay on its own
 * host, where no intermediary reads the stream (a relay takes any key). Package 0.4.0: {@code Codec} writes a frame
 * into a given buffer ({@code encode(frame, into)}, {@code encodeDatagram(destination, datagram, into)}) and says how
 * long it is before ({@code encodedLength}, {@code datagramFrameLength}); the wire is as in 0.3.0.
 * Before ServerConfirmsAuth a client may send nothing but ClientAuth. Anything that does not decode
 * exactly (unknown type, wrong length, an id that is not a curve point, text over its limit) is a
 * {@link org.quiver.relay.protocol.MalformedFrameException}: the relay closes that client only.
 */
@Export
@Version("0.5.0")
package org.quiver.relay.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
