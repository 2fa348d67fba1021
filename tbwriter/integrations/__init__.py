"""Training frameworks logging through tbwriter: one small module per framework.

    from tbwriter.integrations.lightning import TensorBoardLogger        # Lightning's Trainer(logger=...)
    from tbwriter.integrations.transformers import TensorBoardCallback   # HuggingFace's Trainer(callbacks=[...])
    from tbwriter.integrations.accelerate import TensorBoardTracker      # Accelerator(log_with=...)

Each module imports its framework when it is itself imported (its classes subclass the framework's),
so ``import tbwriter`` and ``import tbwriter.integrations`` import none of them.
"""
