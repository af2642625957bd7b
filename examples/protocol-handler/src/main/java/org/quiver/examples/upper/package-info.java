/** An example protocol handler plug-in for Quiver nodes: {@link org.quiver.examples.upper.Upper}. */
package org.quiver.examples.upper;
