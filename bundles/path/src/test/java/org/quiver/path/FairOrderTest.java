package org.quiver.path;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The seed plan's section 3.2 cases. */
class FairOrderTest {
    @Test
    void alternates() {
        FairOrder order = new FairOrder();
        boolean first = order.directFirst();
        boolean second = order.directFirst();
        boolean third = order.directFirst();
        assertThat(first).isNotEqualTo(second);
        assertThat(third).isEqualTo(first);
    }

    @Test
    void evenRoundsStartDirectOddRoundsRelay() {
        FairOrder order = new FairOrder();
        order.setCounter(0);
        assertThat(order.directFirst()).isTrue();
        order.setCounter(1);
        assertThat(order.directFirst()).isFalse();
    }

    @Test
    void counterWrapsAndKeepsAlternating() {
        FairOrder order = new FairOrder();
        order.setCounter(Long.MAX_VALUE);
        boolean a = order.directFirst();
        boolean b = order.directFirst();
        boolean c = order.directFirst();
        assertThat(a).isNotEqualTo(b);
        assertThat(b).isNotEqualTo(c);
    }
}
