package io.clearing.settlement;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LedgerTest
{
    @Test
    void lifetimeDepositsBeyondALongAreCountedExactlyAndConservationStillHolds()
    {
        final Accounts accounts = new Accounts(4_096);
        final Ledger ledger = new Ledger(accounts, new EventWriter());
        BigInteger expected = BigInteger.ZERO;
        // 4,000 accounts x 1e17 = 4e20 units: far beyond Long.MAX_VALUE (9.2e18), each balance within limits.
        for (int id = Accounts.FIRST_USER_ACCOUNT; id < 4_016; id++)
        {
            accounts.open(id);
            ledger.deposit(id, 0, Limits.MAX_AMOUNT);
            expected = expected.add(BigInteger.valueOf(Limits.MAX_AMOUNT));
        }
        assertEquals(expected.toString(), ledger.netDeposits(0));
        assertEquals(-1, ledger.checkConservation());
    }

    @Test
    void seededDepositsWithdrawalsAndTransfersConserveEveryAsset()
    {
        final Accounts accounts = new Accounts(256);
        final EventWriter events = new EventWriter();
        final Ledger ledger = new Ledger(accounts, events);
        final SplittableRandom random = new SplittableRandom(7);
        final BigInteger[] net = new BigInteger[Limits.MAX_ASSETS];
        java.util.Arrays.fill(net, BigInteger.ZERO);
        for (int i = 0; i < 100_000; i++)
        {
            events.reset();
            final int account = Accounts.FIRST_USER_ACCOUNT + random.nextInt(200);
            final int asset = random.nextInt(4);
            final long amount = 1 + random.nextLong(Limits.MAX_AMOUNT / 1_000);
            accounts.open(account);
            switch (random.nextInt(3))
            {
                case 0:
                    ledger.deposit(account, asset, amount);
                    net[asset] = net[asset].add(BigInteger.valueOf(amount));
                    break;
                case 1:
                    if (accounts.balance(account, asset) >= amount)
                    {
                        ledger.withdraw(account, asset, amount);
                        net[asset] = net[asset].subtract(BigInteger.valueOf(amount));
                    }
                    break;
                default:
                    ledger.transfer(account, Accounts.CLEARING_HOUSE, asset, amount - amount / 2,
                        io.clearing.sbe.BalanceReason.REALIZED_PNL, i);
            }
            assertEquals(-1, ledger.checkConservation(), "after operation " + i);
        }
        for (int asset = 0; asset < Limits.MAX_ASSETS; asset++)
        {
            assertEquals(net[asset].toString(), ledger.netDeposits(asset), "asset " + asset);
        }
    }
}
