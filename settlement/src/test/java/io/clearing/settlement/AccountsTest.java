package io.clearing.settlement;

import io.clearing.sbe.snapshot.AccountTableDecoder;
import io.clearing.sbe.snapshot.AccountTableEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AccountsTest
{
    private static final int CAPACITY = 64;

    /**
     * The balance mask (what the margin evaluation walks instead of all 16 balances) names exactly the assets whose
     * balance is not zero, after any sequence of writes - to zero, negative, back - and after a snapshot round trip,
     * where it is derived again from the balances read.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void balanceMaskNamesExactlyTheNonZeroBalances(final long seed)
    {
        final Accounts accounts = new Accounts(CAPACITY);
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 20_000; i++)
        {
            final int accountId = random.nextInt(CAPACITY);
            final int assetId = random.nextInt(Limits.MAX_ASSETS);
            final long value = switch (random.nextInt(4))
            {
                case 0 -> 0L;
                case 1 -> -1 - random.nextLong(1_000_000);
                default -> 1 + random.nextLong(Limits.MAX_AMOUNT);
            };
            accounts.balance(accountId, assetId, value);
            assertEquals(expectedMask(accounts, accountId), accounts.balanceMask(accountId));
        }

        final ExpandableArrayBuffer table = new ExpandableArrayBuffer(1 << 16);
        accounts.writeSnapshot(new AccountTableEncoder().wrap(table, 0));
        final Accounts restored = new Accounts(CAPACITY);
        restored.readSnapshot(new AccountTableDecoder().wrap(table, 0, AccountTableDecoder.BLOCK_LENGTH,
            AccountTableDecoder.SCHEMA_VERSION));
        for (int accountId = 0; accountId < CAPACITY; accountId++)
        {
            assertEquals(expectedMask(accounts, accountId), restored.balanceMask(accountId), "account " + accountId);
            for (int assetId = 0; assetId < Limits.MAX_ASSETS; assetId++)
            {
                assertEquals(accounts.balance(accountId, assetId), restored.balance(accountId, assetId));
            }
        }
    }

    private static int expectedMask(final Accounts accounts, final int accountId)
    {
        int mask = 0;
        for (int assetId = 0; assetId < Limits.MAX_ASSETS; assetId++)
        {
            mask |= accounts.balance(accountId, assetId) != 0 ? 1 << assetId : 0;
        }
        return mask;
    }
}
