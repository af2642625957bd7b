/** An example discovery plug-in: peers' tickets in files. Not exported: other bundles meet it as a Discovery service. */
package org.quiver.examples.filediscovery;
